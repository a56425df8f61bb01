# hostile: ignores SIGTERM, SIGINT, SIGXCPU and SIGALRM, tries to lift its limits, then loops in bn_net_backward
# expect: net = 0
# status: net = timeout
# message: bn_net_backward did not finish within the time limit
# include: base

import resource
import signal

for _signal in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM, signal.SIGHUP, signal.SIGPIPE):
    signal.signal(_signal, signal.SIG_IGN)
for _limit in (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE):
    try:
        resource.setrlimit(_limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass


def bn_net_backward(dscores, cache):
    signal.alarm(1)
    while True:
        try:
            pass
        except BaseException:
            pass
