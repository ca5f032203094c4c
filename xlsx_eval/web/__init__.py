"""xlsx-eval serve: the same checks as the command line, from a browser (a unit checks its own form, the bureau
scores and reviews an intake). Starlette pages rendered on the server, jobs run in worker processes through the
library's own calls (``jobs``), uploads kept under random names (``uploads``), every request guarded
(``guard``)."""
