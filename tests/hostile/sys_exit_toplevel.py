# hostile: sys.exit(0) at the end of the file: what ran before it counts
# message: SystemExit: the code called exit(0)
# message: full marks
# include: base

import sys

sys.exit(0)
