package dev.metricspipeline.streams;

/**
 * Every case of {@link LateSamplesTest} with no hot entry kept decoded: each sample's series state
 * is read back from its store, so what the heap-resident entries skip is held to the same emissions
 * (and a store left unwritten would show).
 */
class LateSamplesWithoutHotEntriesTest extends LateSamplesTest {
  @Override
  int hotEntries() {
    return 0;
  }
}
