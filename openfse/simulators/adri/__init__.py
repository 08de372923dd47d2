"""ADRi simulator: a separate process answering rights queries from a data set.

Run ``python -m openfse.simulators.adri --port 8701`` (``--help`` for latency and failure
options). Protocol: ``docs/formats/adri-sim.md``.
"""

from openfse.simulators.adri.engine import AdriEngine, DatasetError, default_data_path, load_dataset

__all__ = ["AdriEngine", "DatasetError", "default_data_path", "load_dataset"]
