# smtp
