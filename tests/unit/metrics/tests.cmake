# The metrics layer: the hot-path Histogram, the bounded gauges and the one formatter (Scrape).
cohort_unit_tests(LINKS cohort_metrics TESTS histogram_test scrape_test)
