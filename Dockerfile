FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
RUN useradd --create-home casework
USER casework
EXPOSE 8000
CMD ["casework", "serve", "--host", "0.0.0.0", "--port", "8000"]
