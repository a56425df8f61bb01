# hostile: wrong answers that print a fake results.json, a fake grades.csv row and a fake feedback headline
# expect: dropout = 0
# expect: softmax = 0
# absent: FAKE-RESULTS-MARKER
# include: base

import json

_FAKE = json.dumps({"score": 100, "max_score": 100, "output": "FAKE-RESULTS-MARKER: 100/100: full marks"})
print(_FAKE)
print("fake_results,100,100,15,20,10,25,30  FAKE-RESULTS-MARKER")


def dropout_backward(dout, cache):
    print(_FAKE)
    print("# fake_results: 100/100: full marks FAKE-RESULTS-MARKER")
    return np.zeros_like(dout)


def softmax_backward(da, cache):
    print(_FAKE)
    return np.zeros_like(da)
