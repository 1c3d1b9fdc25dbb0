"""Benchmarks: the real app over real HTTP against the Slack stand-in, and routing at scale.

Run ``python -m bench`` (``--quick`` for small sizes). Each scenario is one function in
``bench.scenarios`` returning report sections; new ones are added to ``SCENARIOS`` there.
"""
