"""Workshop mode in the browser: the textual-serve server and its pages (`intake-sim serve`)."""
