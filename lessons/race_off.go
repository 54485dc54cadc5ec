//go:build !race

package lessons

// raceBuild reports that this binary was built with -race.
const raceBuild = false
