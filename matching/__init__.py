"""Identity resolution: links to the hukou spine (人员比对); citizen IDs are normalised by
the connectors (`pensionlink.connectors.citizen_id`)."""

from pensionlink.matching.link import link_night

__all__ = ["link_night"]
