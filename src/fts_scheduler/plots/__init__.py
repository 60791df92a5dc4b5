"""Plots of a problem and its roster, drawn with matplotlib.

One function per file. Each draws on the ``ax`` it is given, or on a new figure's
axes when ``ax`` is None, and returns the axes; nothing is shown or saved. Times on
the UTC grid are drawn in UTC; :func:`gantt` draws one site in its local time.

>>> from fts_scheduler import plots
>>> ax = plots.follow_the_sun(problem, roster, "en")     # doctest: +SKIP
>>> ax.figure.savefig("en.png")                          # doctest: +SKIP
"""

from .follow_the_sun import follow_the_sun
from .gantt import gantt
from .gap_heatmap import gap_heatmap
from .service_level import service_level

__all__ = ["follow_the_sun", "gap_heatmap", "gantt", "service_level"]
