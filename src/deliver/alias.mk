# aliases
