"""The playground: a local web page where a network learns 2-D data while you watch,
and where one click on a point opens its computation graph, to step through.

Run it with ``tinygrad-edu playground`` (or ``python -m tinygrad_edu playground``).
Everything the page shows is computed here, by the project's own engines: the network
trains with the tensor engine (``tinygrad_edu.tensor``); a clicked point's graph, its
forward and backward steps and the chain rule come from the scalar engine
(``Value``), and a test checks that the two agree.

The files, in the order they build on each other:

- ``messages.py``: how error messages quote what a request sent, shortened.
- ``datasets.py``: the 2-D data sets, your own points from CSV, the input features.
- ``config.py``: the set-up of one experiment, checked field by field.
- ``network.py``: the network on Tensors, its loss, and training.
- ``cost.py``: what a training request costs, estimated before it runs.
- ``stepper.py``: a graph as forward and backward steps, and the stand-alone stepper
  page (``viz.to_html``).
- ``point_graph.py``: one point's loss as a scalar graph, next to the tensor engine's.
- ``export.py``: the trained network as a model file and as a Python script.
- ``sessions.py``: one experiment per browser tab.
- ``api.py``: what each request to the server is answered with.
- ``server.py``: the HTTP server: checks, routes and sends, and ``serve`` runs it.
- ``static/``: the page itself (HTML, JavaScript, CSS), which loads nothing from
  elsewhere, so it works offline.
"""

DEFAULT_HOST = "127.0.0.1"
"""The playground listens on this machine only, unless told otherwise."""
DEFAULT_PORT = 8765
