"""Phase unwrapping of the network's interferograms: SNAPHU or whirlwind, masks, two-stage
component joining and filter removal."""
