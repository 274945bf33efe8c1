"""Import torchaudio (the fake, with the made-up family registered) and print, as JSON, the
made-up family's outcome and what it left on torchaudio."""

import json

import torchaudio

from ta_compat._dispatch import OUTCOMES

outcome = OUTCOMES["made-up"]
print(
    json.dumps(
        {
            "state": outcome.state,
            "patched": outcome.patched,
            "prepared_early": torchaudio.made_up_prepared_early,
            "made_up": torchaudio.made_up(),
        }
    )
)
