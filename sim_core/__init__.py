"""Diffusion Quest's numerical core: schedules, the forward process, samplers, guidance,
metrics and the numpy U-Net. It never imports pygame or torch."""
