"""The justice office's window: 受理窗口登记, 交办, 催办 and 并口回复."""
