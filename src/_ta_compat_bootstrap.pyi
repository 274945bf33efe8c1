# Types of the start-up module, which carries no annotations of its own: every byte of it is
# unmarshalled at every interpreter start (see the module's comments).
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import FrozenSet, Optional, Sequence

WATCHED: FrozenSet[str]

def find_spec(
    fullname: str, path: Optional[Sequence[str]] = None, target: Optional[ModuleType] = None
) -> Optional[ModuleSpec]: ...
def install() -> None: ...
