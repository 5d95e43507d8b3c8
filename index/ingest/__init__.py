"""Where articles come from besides text files: saved web pages, links and news feeds."""
