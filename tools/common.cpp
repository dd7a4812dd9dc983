// placeholder while the tool layer is written
