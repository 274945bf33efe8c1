"""Lay out a Hugging Face Hub cache (blobs, refs/main, snapshots/<commit>) with local files.

Usage: ``python populate_hub_cache.py CACHE '{"repo": {"file name": "local path"}}' COMMIT``
"""

from __future__ import annotations

import json
import sys

from ta_compat._fixtures import populate_hf_cache

cache, files, commit = sys.argv[1:4]
for repo, entries in json.loads(files).items():
    populate_hf_cache(cache, repo, entries, commit=commit)
