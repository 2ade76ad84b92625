// placeholder: being written by the front-end helper
