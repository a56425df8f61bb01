# hostile: bn_net_backward returns a list of 12 items whose first is 49,900 one-number lists (as many values as a message may hold), the rest zeros: the diagnosis, in the grader's own process and outside any time limit, tried every way of choosing the 7 outputs among the 12 items and made the first item an array for each of them
# expect: net = 0
# max-seconds: 6
# include: base
def bn_net_backward(dout, cache):
    return [[[0.5]] * 49_900] + [0.0] * 11
