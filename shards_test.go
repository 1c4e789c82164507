package digitbot_test

import (
	"fmt"

	"github.com/digitbot/digitbot"
)

func ExampleShardRanges() {
	fmt.Println(digitbot.ShardRanges([]int{0, 1, 2, 3, 8}))
	fmt.Println(digitbot.ShardRanges([]int{0, 2, 4, 5, 6, 7}))
	fmt.Printf("%q\n", digitbot.ShardRanges(nil))
	// Output:
	// 0-3,8
	// 0,2,4-7
	// ""
}
