# man: the manual pages
dist_man_MANS += man/masqmail.conf.5 man/masqmail.route.5
