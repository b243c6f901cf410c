"""Identity resolution: citizen IDs, name keys, and links to the hukou spine (人员比对)."""

from pensionlink.connectors.citizen_id import mask_citizen_id, normalise_citizen_id
from pensionlink.matching.link import link_night

__all__ = ["link_night", "mask_citizen_id", "normalise_citizen_id"]
