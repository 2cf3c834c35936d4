"""The courses in the admin ("Kursus"): courses, lessons, blocks, questions and media."""
