#[test] fn placeholder() {}
#[test]
fn size_probe() {
    eprintln!("Event={} Message={} OptionEvent={}", std::mem::size_of::<super::Event>(), std::mem::size_of::<crate::Message>(), std::mem::size_of::<Option<super::Event>>());
}
