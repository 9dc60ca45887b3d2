"""The ceiling: the smallest Django + DRF app doing the product's database work, nothing else.

`make bench` serves it beside the product and reports the product's throughput as a ratio
of this one's. Its shape is fixed by the performance budget (see bench/README.md) so the
ratio cannot be improved by making the ceiling slower.
"""
