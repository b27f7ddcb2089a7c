"""Interferograms from the phase-linked phase series: formation, Goldstein filter, coherence."""
