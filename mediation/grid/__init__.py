"""Grids (网格) and the grid workers' 排查: quick reports of disputes found, 零上报 when
nothing was found, and what the committee made of each report."""
