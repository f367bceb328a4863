"""Shared pieces of the graph problems: registries, graphs and their generators, TSPLIB /
CVRPLIB / graph-file I/O, TSPLIB distance functions, the constructive env shell, the
optional CP-SAT helper and the shipped benchmark instances."""
