from services.feedback.main import run

run()
