"""The synthetic demo district.  Every file it writes says SYNTHETIC / 合成演示数据.

A seeded generator of a Yongchuan-sized district (≈1.15 million residents, its 7 streets and 16
towns, the plan's 5 pillar and 3 emerging industries) written in the export formats the importers
read, so the demo exercises the real import path.  It streams, so it scales to millions of
applications for the benchmarks.
"""

from hvpatent.demo.generator import DEMO_BANK, DEMO_COUNTY, generate_demo

__all__ = ["DEMO_BANK", "DEMO_COUNTY", "generate_demo"]
