"""Interferogram networks: pair rules (:mod:`.pairs`) and the network plot (:mod:`.plot`)."""
