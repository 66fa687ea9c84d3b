"""Edge monitor: the edges' status and stats topics stored, judged and served.

``subscriber`` receives the messages, ``monitor`` checks and stores them, ``health`` turns the
stored rows into what an operator sees (with staleness and scope), ``models`` is the API shape.
"""
