"""Box Events API emulator: a deterministic enterprise, its event history, and Box's API.

    from box_emulator import EmulatorConfig, Emulator, EmulatorServer, ManualClock
    emu = Emulator(EmulatorConfig(seed=42, profile="hostile"), clock=ManualClock(now))
    with EmulatorServer(emu) as srv:
        ...  # point a client at srv.api_base_url / srv.token_url; compare with emu.oracle

See `generator.py` for the event shapes and `config.py` for the profiles and knobs.
"""

from box_emulator.clock import Clock, ManualClock, SystemClock
from box_emulator.config import PROFILES, SCENARIO_KINDS, EmulatorConfig, Scenario
from box_emulator.emulator import Emulator
from box_emulator.generator import PlantedIncident
from box_emulator.server import EmulatorServer, serve_forever

__all__ = [
    "PROFILES",
    "SCENARIO_KINDS",
    "Clock",
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "ManualClock",
    "PlantedIncident",
    "Scenario",
    "SystemClock",
    "serve_forever",
]
