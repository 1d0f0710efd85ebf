package classify_test

import (
	"fmt"

	"github.com/switchyard-dev/switchyard/internal/classify"
)

func ExampleClassify() {
	for _, prompt := range []string{
		"Why does my goroutine deadlock when I read from an unbuffered channel?",
		"Übersetze bitte ins Englische: Wo ist der Bahnhof?",
		"*draws her sword* Stay back, stranger!",
		"Write a haiku about the sea.",
	} {
		fmt.Println(classify.Classify(prompt))
	}
	// Output:
	// programming
	// translation
	// roleplay
	// other
}
