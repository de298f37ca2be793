"""DVC's HTTP remote (``dvc remote add yard http://host:port/dvc/<project>``), as the
``dvc-http`` plugin speaks it, over the domain's DVC remote service.

The layout is DVC 3's: ``<remote>/files/md5/<2 hex>/<30 hex>[.dir]``.  ``dvc-http``
checks an object with a GET (``dvc status -c``, ``dvc push`` before uploading) or a
HEAD (its size, for ``dvc.api.open``), downloads with a GET (Range honoured), and
uploads with a chunked POST (or PUT with the remote's ``method PUT``).  It cannot list
an HTTP remote, so ``dvc gc -c`` refuses before deleting anything; this adapter
deletes nothing.  Credentials are the server's: HTTP Basic with a token as the
password (``auth basic``), or ``Authorization: Bearer <token>`` (``auth custom``).
"""

from fastapi import APIRouter

from modelyard.server.dvc_remote import objects


def router() -> APIRouter:
    r = APIRouter(prefix="/dvc")
    r.include_router(objects.router)
    return r
