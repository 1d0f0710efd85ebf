package classify

// Category is a task category, stored and queried by its string form
// ("programming", "marketing/seo", …).
type Category string

// The categories, in the order of [Categories].
const (
	Programming  Category = "programming"
	Roleplay     Category = "roleplay"
	Marketing    Category = "marketing"
	MarketingSEO Category = "marketing/seo"
	Technology   Category = "technology"
	Science      Category = "science"
	Translation  Category = "translation"
	Legal        Category = "legal"
	Finance      Category = "finance"
	Health       Category = "health"
	Trivia       Category = "trivia"
	Academia     Category = "academia"
	Other        Category = "other"
)

// numCategories is len(Categories), as a constant for fixed-size arrays.
const numCategories = 13

// categories is the canonical order; the model's weight rows use it.
// Categories is a copy so that a caller modifying it cannot corrupt it.
var categories = [numCategories]Category{
	Programming, Roleplay, Marketing, MarketingSEO, Technology, Science,
	Translation, Legal, Finance, Health, Trivia, Academia, Other,
}

// Categories lists every category in display order. Callers must not
// modify it.
var Categories = categories[:]

// displayNames are the human-readable names, in the order of categories.
var displayNames = [numCategories]string{
	"Programming", "Roleplay", "Marketing", "Marketing/SEO", "Technology", "Science",
	"Translation", "Legal", "Finance", "Health", "Trivia", "Academia", "Other",
}

// String returns the category's stored form, e.g. "marketing/seo".
func (c Category) String() string { return string(c) }

// DisplayName returns the category's human-readable name, e.g.
// "Marketing/SEO", or the stored form if c is not a known category.
func (c Category) DisplayName() string {
	if i := c.index(); i >= 0 {
		return displayNames[i]
	}
	return string(c)
}

// index returns c's position in Categories, or -1.
func (c Category) index() int {
	for i, k := range categories {
		if k == c {
			return i
		}
	}
	return -1
}

// Valid reports whether s is the stored form of a category, e.g. to check
// a query parameter.
func Valid(s string) bool { return Category(s).index() >= 0 }

// Parse returns the category whose stored form is s, and false if there is
// none.
func Parse(s string) (Category, bool) {
	if !Valid(s) {
		return "", false
	}
	return Category(s), true
}
