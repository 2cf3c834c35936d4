"""E-learning courses: lessons with text, images, video, audio, PDFs and quizzes; progress per
device. App label ``elearning_courses``; pages under /belajar/."""
