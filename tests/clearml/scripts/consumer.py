"""A ClearML consumer in its own process: query by project and tag, download."""

import json
import os
import sys

from clearml import Model

project, tag = sys.argv[1], sys.argv[2]
found = Model.query_models(project_name=project, tags=[tag])
out = {"ids": [m.id for m in found], "names": [m.name for m in found]}
if found:
    path = found[0].get_local_copy()
    out["path"] = path
    out["size"] = os.path.getsize(path) if path else None
    again = Model(found[0].id).get_local_copy()
    out["again"] = bool(again)
    out["tags"] = found[0].tags
    out["comment"] = found[0].comment
print("RESULT " + json.dumps(out))
