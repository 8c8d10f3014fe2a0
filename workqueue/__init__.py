"""workqueue: the other spelling of work_queue (the seed's slides use both).

``from workqueue import *`` gives exactly what ``from work_queue import *``
gives; ``workqueue.WorkQueue is work_queue.WorkQueue``.
"""

from work_queue import *
from work_queue import __all__, __version__
