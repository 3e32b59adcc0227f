"""QA engine: captured walkthroughs -> question-answer records, mixes and audits."""
