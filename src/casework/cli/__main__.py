from casework.cli.main import app

app(prog_name="casework")
