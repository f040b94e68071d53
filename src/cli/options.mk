# command line options
