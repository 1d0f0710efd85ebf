package simulate

import (
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Categories returns the task categories the gateway classifies prompts
// into, in the order reports list them.
func Categories() []string {
	return []string{
		"programming", "roleplay", "marketing", "marketing/seo", "technology", "science",
		"translation", "legal", "finance", "health", "trivia", "academia", "other",
	}
}

// bank is the prompt templates of one category and the values of their
// slots. A template names a slot as {name}; each occurrence is filled on
// its own, from the category's values.
type bank struct {
	templates []string
	slots     map[string][]string
}

// banks returns the template bank of every category. It is a function, not
// a variable, so that the package holds no mutable state.
func banks() map[string]bank {
	return map[string]bank{
		"programming": {
			templates: []string{
				"Write a {lang} function that {task}.",
				"Why does my {lang} code fail with \"{err}\"? It happens when I loop over the results of a query.",
				"Refactor this {lang} code to be more idiomatic and add unit tests: a function that {task}.",
				"Explain {concept} in {lang} with a short code example.",
				"How do I set up {tool} for a {lang} project with separate dev and prod configs?",
				"Review my {lang} implementation of a function that {task}. What edge cases am I missing?",
				"What is the time complexity of code that {task}, and can it be done faster in {lang}?",
				"Write a SQL query that returns the top {n} customers by total order value in the last 30 days, grouped by country.",
				"My {tool} build fails in CI with \"{err}\". How do I debug it?",
				"Write a regular expression in {lang} that matches {pattern}, with tests.",
				"Port this Python script to {lang}: it {task}.",
			},
			slots: map[string][]string{
				"lang": {"Go", "Python", "TypeScript", "Rust", "Java", "C#", "Kotlin", "Ruby", "C++", "Swift"},
				"task": {
					"parses an ISO 8601 date and returns the weekday", "removes duplicates from a list but keeps the order",
					"retries an HTTP request with exponential backoff", "reads a CSV file and sums one column",
					"validates an email address", "merges two sorted arrays", "computes a moving average over a stream",
					"debounces a function call", "flattens a nested JSON object into dotted key paths",
					"implements an LRU cache with a fixed capacity",
				},
				"err":     {"index out of range", "nil pointer dereference", "cannot borrow as mutable more than once", "TypeError: undefined is not a function", "fatal error: all goroutines are asleep - deadlock!", "ConcurrentModificationException", "segmentation fault (core dumped)"},
				"tool":    {"Docker", "Git hooks", "Kubernetes", "webpack", "PostgreSQL", "Redis", "GitHub Actions", "pytest"},
				"concept": {"dependency injection", "async/await", "generics", "closures", "goroutines and channels", "the borrow checker", "database indexes", "memoization"},
				"pattern": {"US phone numbers", "semantic version strings", "IPv4 addresses", "hex color codes", "ISO dates"},
				"n":       {"5", "10", "20"},
			},
		},
		"roleplay": {
			templates: []string{
				"Let's roleplay. You are {persona} in {setting}. Stay in character. *{action}*",
				"Continue the story: my character, {name}, arrives at {setting} and meets {persona}.",
				"You are {persona}. Greet me as I walk in, and describe what I see.",
				"*{action}* \"Who goes there?\" Reply as {persona}, in character, in two paragraphs.",
				"Write the next scene of our adventure in {setting}. I play {name}, you play {persona}. Keep it tense.",
				"Pretend to be {persona} and tell me the legend of {setting}.",
				"Stay in character as {persona}. {name} asks you for help finding a lost sister. What do you say?",
				"Roleplay as my companion, {persona}, while we explore {setting}. I start: *{action}*",
				"Describe, in first person, how {persona} reacts when {name} betrays the party in {setting}.",
			},
			slots: map[string][]string{
				"persona": {"a grumpy dwarven blacksmith", "a starship captain stranded near Jupiter", "a Victorian detective", "a wise old dragon", "a pirate queen", "a cyberpunk street hacker", "a medieval innkeeper", "a shy vampire librarian"},
				"setting": {"a haunted lighthouse", "a floating market in the clouds", "a rain-soaked neon city", "an abandoned space station", "a royal masquerade ball", "a frozen mountain pass"},
				"action":  {"I push open the creaking door and call out", "I draw my sword and step forward", "I offer the stranger a drink", "I unfold the map I found", "I whisper that we are being followed"},
				"name":    {"Aria", "Kael", "Mira", "Thorne", "Juno", "Ezra"},
			},
		},
		"marketing": {
			templates: []string{
				"Write three catchy taglines for {product} aimed at {audience}.",
				"Draft a {channel} post announcing the launch of {product}: upbeat tone, one call to action.",
				"Write a marketing email for {product} with a subject line and a 20% discount offer for {audience}.",
				"Give me a go-to-market plan for {product} targeting {audience}, with the budget split by channel.",
				"Write a 30-second radio ad script for {product}.",
				"What brand positioning would make {product} stand out against cheaper competitors?",
				"Suggest five holiday campaign ideas for {product} on {channel}.",
				"Rewrite this product description to be more persuasive for {audience}: {product}, durable, affordable, free shipping.",
				"Write two ad copy variations, headline and body, for {product} for an A/B test on {channel}.",
				"Create a customer persona for {product} and the messaging that would convert them.",
			},
			slots: map[string][]string{
				"product":  {"a reusable water bottle", "a project management app for small teams", "an organic coffee subscription", "noise-cancelling headphones", "a vegan skincare line", "a budgeting app for students", "a neighbourhood yoga studio", "an electric cargo bike"},
				"audience": {"busy parents", "college students", "small business owners", "remote workers", "retirees", "Gen Z gamers"},
				"channel":  {"Instagram", "LinkedIn", "TikTok", "our newsletter", "Facebook Ads", "YouTube"},
			},
		},
		"marketing/seo": {
			templates: []string{
				"Write an SEO meta title and meta description for a page targeting the keyword \"{keyword}\".",
				"Give me 15 long-tail keywords related to \"{keyword}\", with the search intent of each.",
				"Create a blog post outline optimized for the keyword \"{keyword}\" with H2 and H3 headings.",
				"How can {site} improve its Google ranking? Cover on-page SEO, backlinks and Core Web Vitals.",
				"Write alt text and an SEO-friendly URL slug for a product image on {site}.",
				"Audit this title tag for SEO: \"{keyword} | Home\". What would rank better?",
				"What internal linking strategy should {site} use to rank for \"{keyword}\"?",
				"Suggest schema markup for {site} and explain how it helps get rich snippets in search results.",
				"Write a 150-word SEO-optimized intro for \"{keyword}\" with the keyword in the first sentence.",
				"How should a new domain weigh keyword difficulty against search volume for \"{keyword}\"?",
			},
			slots: map[string][]string{
				"keyword": {"best running shoes for flat feet", "how to start a podcast", "vegan protein powder", "cheap flights to Lisbon", "home office ideas", "CRM for startups", "dog-friendly hotels"},
				"site":    {"an online plant shop", "a SaaS accounting tool", "a local dental clinic", "a travel blog", "a furniture e-commerce store"},
			},
		},
		"technology": {
			templates: []string{
				"What is the difference between {tech} and what came before it, in plain terms?",
				"{device} keeps disconnecting every few minutes. How do I troubleshoot it?",
				"Is {gadget} worth upgrading to from a three-year-old model?",
				"Explain how {tech} works and why it matters for consumers.",
				"Which is better for a home lab, {device} or a small cloud VM? Pros and cons, please.",
				"How do I back up {device} securely, and how often should I do it?",
				"Summarize the latest trends in {tech} for a non-technical manager.",
				"What specs should I look for when buying {device}?",
				"How secure is {tech}? What are the main privacy risks?",
				"Set up {device} so that it updates automatically and uses strong encryption.",
			},
			slots: map[string][]string{
				"device": {"my Wi-Fi router", "a MacBook Air", "an Android phone", "a home NAS", "a Raspberry Pi", "a 4K monitor", "a smart TV"},
				"tech":   {"5G", "Wi-Fi 7", "USB-C Power Delivery", "quantum computing", "edge computing", "passkeys", "large language models", "RISC-V"},
				"gadget": {"the latest iPhone", "the Steam Deck", "the Pixel 9", "a Framework laptop", "the Apple Watch"},
			},
		},
		"science": {
			templates: []string{
				"Explain {topic} to a curious 12-year-old.",
				"Why {phenomenon}? Give the physics or chemistry behind it.",
				"What are the open questions in current research on {topic}?",
				"Design a simple experiment that demonstrates {topic} with household materials.",
				"How did scientists first discover {topic}, and who was involved?",
				"Summarize the scientific consensus on {topic} in five bullet points.",
				"What equations describe {topic}? Walk me through them.",
				"Explain the evidence that {phenomenon}, and how it was measured.",
				"How long does light take to travel from the Sun to Mars? Show the steps.",
			},
			slots: map[string][]string{
				"topic":      {"photosynthesis", "black holes", "CRISPR gene editing", "plate tectonics", "the greenhouse effect", "quantum entanglement", "the Krebs cycle", "neutron stars", "ocean acidification", "entropy"},
				"phenomenon": {"the sky is blue", "ice floats on water", "we have seasons", "bread dough rises", "the Moon causes tides", "metals conduct electricity"},
			},
		},
		"translation": {
			templates: []string{
				"Translate into {lang}: \"{phrase}\"",
				"How do you say \"{phrase}\" in {lang}, formally and informally?",
				"Translate this customer support reply into {lang}, keeping a polite tone: \"{phrase}\"",
				"Translate the following from English to {lang} and explain any idioms: \"{phrase}\"",
				"What is the most natural {lang} translation of \"{phrase}\" for a native speaker?",
				"Translate for our product website, into {lang}: \"{phrase}\"",
				"Check my {lang} translation of \"{phrase}\" and correct the grammar.",
				"Localize this sentence for a {lang}-speaking audience, not word for word: \"{phrase}\"",
				"Translate \"{phrase}\" into {lang}, then back into English to check the meaning.",
			},
			slots: map[string][]string{
				"lang":   {"French", "Spanish", "German", "Japanese", "Brazilian Portuguese", "Korean", "Italian", "Arabic", "Mandarin Chinese", "Dutch"},
				"phrase": {"Where is the nearest train station?", "Our office will be closed on Monday for the holiday.", "Thank you for your order; it will ship within two business days.", "Could you please send me the invoice again?", "The meeting has been moved to 3 pm tomorrow.", "I'm allergic to peanuts.", "Please keep your seatbelt fastened."},
			},
		},
		"legal": {
			templates: []string{
				"What clauses should {doc} include under the law of {jurisdiction}?",
				"Is it legal in {jurisdiction} that {issue}? What are my options?",
				"Explain the difference between a warranty and an indemnity in {doc}.",
				"Draft a polite demand letter: {issue}.",
				"What does a non-compete clause in {doc} usually mean, and is it enforceable in {jurisdiction}?",
				"Summarize my rights as a tenant in {jurisdiction} regarding repairs and eviction notices.",
				"What is the statute of limitations for a breach of contract claim in {jurisdiction}?",
				"Review this clause from {doc}: \"The Contractor shall indemnify and hold harmless the Client from all claims.\" Is it one-sided?",
				"How do I register a trademark for my small business in {jurisdiction}, and what does it cost?",
				"{issue}. Do I need a lawyer, or can I go to small claims court in {jurisdiction}?",
			},
			slots: map[string][]string{
				"doc":          {"a residential lease", "an NDA", "an employment contract", "a freelance services agreement", "a software license agreement", "a prenuptial agreement"},
				"issue":        {"my landlord keeps my security deposit", "a client refuses to pay my invoice", "my employer changed my contract without notice", "someone copied my photos for their ads", "my neighbour built a fence on my land", "I was fired while on sick leave"},
				"jurisdiction": {"California", "England and Wales", "Germany", "Ontario", "New York", "Australia"},
			},
		},
		"finance": {
			templates: []string{
				"I have {amount} to invest for ten years. How should I compare {instrument} and {instrument}?",
				"Explain how compound interest grows {amount} at 5% a year over 20 years.",
				"What are the tax implications of selling {instrument} held for less than a year?",
				"Compare the P/E ratio and revenue growth of {company} with its main competitor.",
				"How big should an emergency fund be, and where should I keep it?",
				"Create a monthly budget for a household that takes home {amount} a year.",
				"What is dollar-cost averaging, and does it beat investing a lump sum in {instrument}?",
				"Explain {company}'s latest quarterly earnings report to a beginner investor.",
				"Should I pay off a 6% student loan or put {amount} into {instrument}?",
				"How do central bank interest rate changes affect mortgage rates and {instrument}?",
			},
			slots: map[string][]string{
				"amount":     {"$5,000", "$20,000", "$60,000", "$150,000", "€10,000"},
				"instrument": {"index funds", "government bonds", "a high-yield savings account", "dividend stocks", "REITs", "a Roth IRA", "gold ETFs"},
				"company":    {"Apple", "Tesla", "Nvidia", "Coca-Cola", "Microsoft", "Amazon"},
			},
		},
		"health": {
			templates: []string{
				"I've had {symptom} for two weeks. What could cause it, and when should I see a doctor?",
				"What diet changes help manage {condition}?",
				"Create a 4-week plan to {goal}.",
				"What are the early warning signs of {condition}?",
				"Are there home remedies for {symptom} that are actually backed by evidence?",
				"How is {condition} diagnosed, and what are the usual treatment options?",
				"Is it safe to exercise with {symptom}? What should I avoid?",
				"How much protein, fiber and water does an adult need a day to {goal}?",
				"Ibuprofen or acetaminophen for {symptom}: what's the difference?",
				"My doctor says I'm at risk of {condition}. Which lifestyle changes matter most?",
			},
			slots: map[string][]string{
				"symptom":   {"a persistent dry cough", "lower back pain after sitting", "trouble falling asleep", "frequent headaches", "a sore knee after running", "heartburn after meals", "seasonal allergies"},
				"condition": {"type 2 diabetes", "high blood pressure", "iron deficiency", "migraine", "asthma", "high cholesterol"},
				"goal":      {"lose 5 kg safely", "run a half marathon", "sleep better", "build muscle after 50", "lower my resting heart rate"},
			},
		},
		"trivia": {
			templates: []string{
				"What is the capital of {place}, and what is it famous for?",
				"Give me five surprising facts about {thing}.",
				"Quiz me: ask me five multiple-choice trivia questions about {place}.",
				"What is the origin of {thing}?",
				"Tell me some fun facts about the {animal}.",
				"What is the tallest mountain in {place}?",
				"Settle a bet: is {thing} older than the United States?",
				"What is the longest river in {place}, and how long is it?",
				"True or false: the {animal} can recognize itself in a mirror?",
				"Give me a pub quiz round of 10 questions on world geography and history, with answers.",
			},
			slots: map[string][]string{
				"place":  {"Australia", "Iceland", "Peru", "Japan", "Egypt", "Canada", "Mongolia"},
				"thing":  {"the Eiffel Tower", "the Great Wall of China", "the Olympic Games", "the printing press", "chess", "the Mona Lisa", "the Titanic"},
				"animal": {"octopus", "giraffe", "hummingbird", "blue whale", "axolotl", "honeybee"},
			},
		},
		"academia": {
			templates: []string{
				"Help me write an abstract for a {field} paper on {thesis}.",
				"Suggest a research methodology for a master's thesis on {thesis}.",
				"How do I cite a journal article with three authors in {style} style?",
				"Write a literature review outline on {thesis}, with the key themes and gaps.",
				"What are the main theoretical frameworks in {field} for studying {thesis}?",
				"Improve the academic tone of this sentence for a {field} journal: \"We think the data kind of shows that {thesis} matters a lot.\"",
				"Propose three research questions about {thesis} for a PhD proposal in {field}.",
				"Explain the difference between qualitative and quantitative methods in {field}, with examples.",
				"How should I structure the discussion section of a {field} paper about {thesis}?",
				"How do I respond to reviewer comments on a {field} manuscript that a reviewer calls under-powered?",
			},
			slots: map[string][]string{
				"field":  {"sociology", "economics", "psychology", "computer science", "history", "linguistics", "political science", "biology"},
				"thesis": {"the effects of remote work on productivity", "social media and teenage wellbeing", "urban heat islands", "the economic impact of minimum wage increases", "bilingual language acquisition", "trust in public institutions"},
				"style":  {"APA 7th edition", "MLA", "Chicago", "Harvard", "IEEE"},
			},
		},
		"other": {
			templates: []string{
				"Write a short, funny toast for {occasion}.",
				"Plan a 3-day trip to {city} on a moderate budget.",
				"I want to get into {hobby}. Where do I start?",
				"Give me gift ideas for {occasion}, under $50.",
				"Write a haiku about {hobby}.",
				"What should I cook tonight with chicken, spinach and rice?",
				"Help me write a polite message declining an invitation to {occasion}.",
				"Suggest a weekend routine that balances {hobby}, chores and rest.",
				"What are the best things to do in {city} when it rains?",
				"Write a limerick about a cat who loves {hobby}.",
			},
			slots: map[string][]string{
				"occasion": {"my sister's wedding", "a friend's 30th birthday", "a retirement party", "a baby shower", "our team's end-of-year dinner"},
				"hobby":    {"sourdough baking", "bouldering", "birdwatching", "knitting", "urban gardening", "chess"},
				"city":     {"Lisbon", "Kyoto", "Mexico City", "Edinburgh", "Cape Town", "Montreal"},
			},
		},
	}
}

// prompt returns a prompt of the category: one of its templates with every
// slot filled, its first letter capitalised.
func (b bank) prompt(rng *rand.Rand) string {
	return fill(b.templates[rng.IntN(len(b.templates))], b.slots, rng)
}

// fill replaces each {slot} of template with a value of that slot drawn
// from rng. An unknown slot is left as it is (TestBanks finds it).
func fill(template string, slots map[string][]string, rng *rand.Rand) string {
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(rest[:open])
		name := rest[open+1 : open+end]
		if values := slots[name]; len(values) > 0 {
			b.WriteString(values[rng.IntN(len(values))])
		} else {
			b.WriteString(rest[open : open+end+1])
		}
		rest = rest[open+end+1:]
	}
	b.WriteString(rest)
	return capitalize(b.String())
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
