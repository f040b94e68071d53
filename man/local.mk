# man: the manual pages
dist_man_MANS += man/masqmail.8 man/masqmail.conf.5 man/masqmail.route.5 man/masqmail.aliases.5
