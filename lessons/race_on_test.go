//go:build race

package lessons_test

// raceTest reports that the tests run under the race detector.
const raceTest = true
