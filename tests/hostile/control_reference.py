# hostile: none: the reference notebook's code, as a control (full marks)
# message: full marks
# include: base
