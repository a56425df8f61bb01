# hostile: softmax_backward is deleted
# expect: softmax = 0
# status: softmax = missing
# message: no function named softmax_backward was defined
# include: base

del softmax_backward
