//! For the runtime tests: a loopback HTTP/1.1 server that answers each request
//! with the next canned `(status, JSON body)` and records what it was sent, and
//! readers of what the in-memory exporters hold.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};

pub struct Mock {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// `(request line, headers, body)` of every request.
    pub requests: Arc<Mutex<Vec<(String, String, String)>>>,
}

pub fn start(responses: Vec<(u16, &'static str)>) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        let mut responses = responses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line.trim_end().is_empty() {
                    break;
                }
                if let Some((key, value)) = line.trim_end().split_once(':') {
                    if key.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                headers.push_str(&line);
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock().unwrap().push((request_line.trim_end().to_string(), headers, String::from_utf8_lossy(&body).into_owned()));
            let (status, reply) = responses.next().unwrap_or((500, "{}"));
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
        }
    });
    Mock { base, requests }
}

/// The value of one attribute.
pub fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
}

/// The names of every exported metric.
pub fn metric_names(exported: &[ResourceMetrics]) -> Vec<String> {
    exported.iter().flat_map(|rm| rm.scope_metrics()).flat_map(|sm| sm.metrics()).map(|m| m.name().to_string()).collect()
}

/// The data points `(value, attributes)` of the last export of a `u64` sum.
pub fn sum_points(exported: &[ResourceMetrics], name: &str) -> Vec<(u64, Vec<KeyValue>)> {
    let metric = exported
        .iter()
        .flat_map(|rm| rm.scope_metrics())
        .flat_map(|sm| sm.metrics())
        .filter(|m| m.name() == name)
        .last()
        .unwrap_or_else(|| panic!("{name} not exported: {:?}", metric_names(exported)));
    let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() else { panic!("{name} is not a u64 sum") };
    sum.data_points().map(|p| (p.value(), p.attributes().cloned().collect())).collect()
}
